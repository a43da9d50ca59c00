package swarm

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used: unlike
// wall time it does not grow when other programs share the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
