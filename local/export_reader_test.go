package local

// FanOutReaderReads is how many fan-out reads a sqlite.Reader answered in
// this process so far.
func FanOutReaderReads() int64 { return readerReads.Load() }
