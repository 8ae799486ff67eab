package bulk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// The character sets of the CSV index: practice software writes UTF-8
// (with or without a byte order mark) or, on French Windows PCs,
// Windows-1252.
const (
	CharsetAuto        = ""             // detect: UTF-8 when the file is valid UTF-8, else Windows-1252 when it decodes cleanly as such
	CharsetUTF8        = "utf-8"        // refuse anything but valid UTF-8
	CharsetWindows1252 = "windows-1252" // decode as Windows-1252 (cp1252)
)

// ParseCharset returns the charset named s (case-insensitive; "utf8",
// "cp1252" and "latin1"-style aliases accepted for the two supported ones),
// or an *IndexError naming the values --index-charset takes.
func ParseCharset(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return CharsetAuto, nil
	case "utf-8", "utf8":
		return CharsetUTF8, nil
	case "windows-1252", "cp1252", "windows1252":
		return CharsetWindows1252, nil
	}
	return "", &IndexError{Msg: fmt.Sprintf("--index-charset %q is not supported: give utf-8 or windows-1252", clip(s, 32))}
}

// cp1252Undefined are the bytes Windows-1252 leaves undefined: a file that
// holds one is not Windows-1252 text.
const cp1252Undefined = "\x81\x8d\x8f\x90\x9d"

// detectCharset reads r to EOF and returns the index's charset: UTF-8 when
// every byte sequence is valid UTF-8, Windows-1252 when it is not but no
// byte is undefined in Windows-1252 and there is no NUL. Otherwise it
// returns an *IndexError that names --index-charset, with the line of the
// first invalid byte. It holds one buffer, whatever the file's size.
func detectCharset(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, badLine := 1, 0
	clean := true
	for {
		c, size, err := br.ReadRune()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read index: %w", err)
		}
		switch {
		case c == '\n':
			line++
		case c == 0:
			clean = false
		case c == utf8.RuneError && size == 1:
			if badLine == 0 {
				badLine = line
			}
			br.UnreadRune()
			b, _ := br.ReadByte()
			if strings.IndexByte(cp1252Undefined, b) >= 0 {
				clean = false
			}
		}
	}
	switch {
	case badLine == 0 && clean:
		return CharsetUTF8, nil
	case badLine != 0 && clean:
		return CharsetWindows1252, nil
	}
	where := ""
	if badLine != 0 {
		where = fmt.Sprintf(" (line %d)", badLine)
	}
	return "", &IndexError{Msg: "the index is neither UTF-8 nor Windows-1252 text" + where +
		": save it as UTF-8 CSV, or name its character set with --index-charset utf-8|windows-1252"}
}

// decodeIndex returns a reader of r's text in UTF-8 for the given charset
// (not CharsetAuto).
func decodeIndex(r io.Reader, charset string) io.Reader {
	if charset == CharsetWindows1252 {
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	}
	return r
}

// IndexError is a problem of the CSV index as a whole (a missing column, a
// character set that cannot be read): the command is given a wrong file,
// a usage error. Msg says what to do and names no patient data.
type IndexError struct{ Msg string }

func (e *IndexError) Error() string { return e.Msg }

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
