//go:build race

package mes_test

const raceEnabled = true
