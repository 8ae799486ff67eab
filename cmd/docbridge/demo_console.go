package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/docbridge/docbridge/internal/admin"
)

// demoConsole turns the console on for `demo --console ADDR`: one operator
// "demo" with a random password, returned to be printed. An empty addr
// leaves the console off.
func demoConsole(cfg *Config, addr string) (string, error) {
	if addr == "" {
		return "", nil
	}
	b := make([]byte, 12)
	rand.Read(b)
	password := base64.RawURLEncoding.EncodeToString(b)
	hash, err := admin.HashPassword(password)
	if err != nil {
		return "", err
	}
	cfg.Admin.Addr = addr
	cfg.Admin.Users = []AdminUser{{Name: "demo", PasswordHash: hash, Role: string(admin.Operator)}}
	cfg.Admin.MESHealthPath = "/"
	if errs := cfg.Admin.check(); len(errs) > 0 {
		return "", usageErrorf("--console: %v", errs[0])
	}
	return password, nil
}

// lingerWithConsole says where the console is and waits until ctx is done
// (the demo is interrupted).
func lingerWithConsole(ctx context.Context, stdout io.Writer, addr, password string) {
	fmt.Fprintf(stdout, "the samples have settled; console at http://%s/ (user demo, password %s), metrics at http://%s/metrics\n", addr, password, addr)
	fmt.Fprintln(stdout, "press Ctrl-C to stop and print the outcome of each sample")
	<-ctx.Done()
}
