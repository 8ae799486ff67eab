//go:build !race

package main

// raceBuild says the race detector is on: its shadow memory makes the
// daemon's RSS no measure of docbridge's own.
const raceBuild = false
