package main

import "syscall"

// dieWithParent asks the kernel to end a child when this program ends, so
// an interrupted run leaks no server.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
