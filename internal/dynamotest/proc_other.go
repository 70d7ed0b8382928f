//go:build !linux

package dynamotest

import "syscall"

// dieWithParent has no portable equivalent outside Linux; Main stops the
// emulator there.
func dieWithParent() *syscall.SysProcAttr { return nil }
