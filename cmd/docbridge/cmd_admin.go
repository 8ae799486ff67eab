package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/docbridge/docbridge/internal/admin"
)

const adminUsage = `Usage: docbridge admin hash-password

Prints the bcrypt hash of a password, for admin.users[].password_hash.
On a terminal it asks for the password twice without showing it; otherwise
it reads the first line of standard input (docbridge admin hash-password < file).`

// runAdmin is `docbridge admin hash-password`: it reads a password (hidden
// and confirmed on a terminal, else the first line of standard input) and
// prints its bcrypt hash, for the admin.users[].password_hash field.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var hidden func(string) (string, error)
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		hidden = func(prompt string) (string, error) {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(stderr)
			return string(b), err
		}
	}
	return runAdminWith(os.Stdin, hidden, args, stdout, stderr)
}

// runAdminWith is runAdmin reading stdin, or, when hidden is not nil (a
// terminal), asking hidden for the password twice: hidden shows its prompt
// and reads one entry without echo.
func runAdminWith(stdin io.Reader, hidden func(prompt string) (string, error), args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "hash-password" {
		fmt.Fprintln(stderr, adminUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("admin needs a subcommand: hash-password")
	}
	fs := newFlags("admin hash-password", "admin hash-password (asks twice on a terminal; else reads standard input)", stderr)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	pw, err := readNewPassword(stdin, hidden)
	if err != nil {
		return err
	}
	h, err := admin.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

// readNewPassword reads a password: twice through hidden when it is not
// nil, refusing two different entries, else the first line of stdin. An
// empty password is a usage error.
func readNewPassword(stdin io.Reader, hidden func(prompt string) (string, error)) (string, error) {
	if hidden != nil {
		pw, err := hidden("New console password: ")
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if pw == "" {
			return "", usageErrorf("no password given")
		}
		again, err := hidden("Same password again: ")
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if again != pw {
			return "", usageErrorf("the two entries differ: nothing was hashed; run the command again")
		}
		return pw, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageErrorf("no password on standard input")
	}
	return pw, nil
}
