package main

import (
	"bytes"
	"os"
)

// reportPeakRSS writes the process's peak resident set size (VmHWM from
// /proc/self/status, Linux) to the file named by CINCH_PEAK_RSS_FILE, when
// set. Tests use it: the rusage a parent reads for its child keeps the
// parent's own peak across exec, so a large test process would hide a
// small command's memory.
func reportPeakRSS() {
	path := os.Getenv("CINCH_PEAK_RSS_FILE")
	if path == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			os.WriteFile(path, bytes.TrimSpace(v), 0o600)
			return
		}
	}
}
