package validate

import (
	"fmt"
	"io"
	"os"
)

// Size limits. The API server keeps each object in etcd, which refuses objects over 1.5 MiB, so
// a larger document could never be applied; a file may hold many documents, up to MaxFileBytes.
// Reading stops there, so `yes | drctl validate -f -` or a link to /dev/zero ends with an error
// instead of exhausting memory.
const (
	MaxFileBytes     = 8 << 20
	MaxDocumentBytes = 3 << 19 // 1.5 MiB
	// MaxTotalBytes bounds all inputs of one validation together (a directory of many files):
	// the documents are checked against each other, so all of them are held at once.
	MaxTotalBytes = 32 << 20
)

// readInput reads r to its end, or fails once it holds more than MaxFileBytes.
func readInput(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d MiB: drctl reads at most %d MiB per input, and the API server stores objects of at most 1.5 MiB (etcd's limit)", MaxFileBytes>>20, MaxFileBytes>>20)
	}
	return data, nil
}

// readFile reads a regular file or a pipe (`-f <(generate-plan)`); devices, sockets and other
// special files are refused before anything is read from them.
func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if mode := info.Mode(); !mode.IsRegular() && mode&os.ModeNamedPipe == 0 {
		return nil, fmt.Errorf("not a regular file (%s): drctl reads plans from files, pipes or stdin", describeMode(mode))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readInput(f)
}

func describeMode(mode os.FileMode) string {
	switch {
	case mode&os.ModeCharDevice != 0:
		return "a character device"
	case mode&os.ModeDevice != 0:
		return "a device"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode.IsDir():
		return "a directory"
	default:
		return "mode " + mode.String()
	}
}
