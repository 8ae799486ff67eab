package admin

import "testing"

func TestSafeNext(t *testing.T) {
	tests := []struct{ next, want string }{
		{"", "/"},
		{"/", "/"},
		{"/documents?state=review&reason=identity-mismatch", "/documents?state=review&reason=identity-mismatch"},
		{"/documents/12", "/documents/12"},
		{"/documents/a%20b", "/documents/a%20b"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/\n/evil.example/", "/"},
		{"\t//evil.example/", "/"},
		{"%2F%2Fevil.example/", "/"},
		{"/%2Fevil.example/", "/"},
		{"/%2fevil.example/", "/"},
		{"/%5Cevil.example/", "/"},
		{"/%5cevil.example/", "/"},
		{"/%09/evil.example/", "/"},
		{"/%0A/evil.example/", "/"},
		{"/%252F/evil.example/", "/"},
		{"/%25252F%25252Fevil", "/"},
		{"/documents/%5C", "/"},
		{"https://evil.example/", "/"},
		{"HTTPS://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/%zz", "/"},
		{"/\u0085/evil.example", "/"},
		{"/\x7f", "/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//evil", "/\t/evil", "/%5Cevil", "/documents?state=x", "https://evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		if !localPath(got) {
			t.Fatalf("safeNext(%q) = %q, not a local path", next, got)
		}
	})
}
