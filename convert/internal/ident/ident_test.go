package ident

import "testing"

func TestIsOID(t *testing.T) {
	for s, want := range map[string]bool{
		"1.2.250.1.213.1.4.8": true, "2.16.840.1.113883.6.1": true, "0.1": true,
		"3.1": false, "1": false, "1..2": false, "1.02": false, "1.2.": false, ".1.2": false, "1.2a": false, "": false,
	} {
		if got := IsOID(s); got != want {
			t.Errorf("IsOID(%q) = %t, want %t", s, got, want)
		}
	}
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"123e4567-e89b-12d3-a456-426614174000": true, "123E4567-E89B-12D3-A456-426614174000": true,
		"123e4567e89b12d3a456426614174000": false, "123e4567-e89b-12d3-a456-42661417400g": false, "": false,
	} {
		if got := IsUUID(s); got != want {
			t.Errorf("IsUUID(%q) = %t, want %t", s, got, want)
		}
	}
}
