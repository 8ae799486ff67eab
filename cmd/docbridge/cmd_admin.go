package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docbridge/docbridge/internal/admin"
)

// runAdmin is `docbridge admin hash-password`: it reads a password from
// standard input (its first line) and prints its bcrypt hash, for the
// admin.users[].password_hash field.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runAdminWith(os.Stdin, args, stdout, stderr)
}

func runAdminWith(stdin io.Reader, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "hash-password" {
		fmt.Fprintln(stderr, "Usage: docbridge admin hash-password < password\n\nReads a password on standard input and prints its bcrypt hash for admin.users[].password_hash.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("admin needs a subcommand: hash-password")
	}
	fs := newFlags("admin hash-password", "admin hash-password < password", stderr)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return usageErrorf("no password on standard input")
	}
	h, err := admin.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}
