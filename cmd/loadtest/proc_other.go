//go:build !linux

package main

import "syscall"

// dieWithParent has no portable equivalent outside Linux: the children are
// stopped by this program's deferred calls.
func dieWithParent() *syscall.SysProcAttr { return nil }
