package dynamotest

import "syscall"

// dieWithParent asks the kernel to end the emulator when the test binary
// ends, so a test binary without Main leaks no server.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
