package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// machine describes where the figures were taken: they only mean something next to it.
type machine struct {
	CPUs        int
	CPUModel    string
	MemoryKiB   int64
	GoVersion   string
	APIServer   string // kube-apiserver's gitVersion, from /version
	Commit      string // the repository's HEAD, as `git rev-parse --short HEAD`
	Dirty       bool   // the working tree had changes (the binary may include them)
	DrctlBinary string // what `drctl version` says of the binary that ran
	Date        time.Time
}

func describeMachine(cfg *rest.Config, drctl string) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC()}
	m.CPUModel = firstField("/proc/cpuinfo", "model name")
	if mem := firstField("/proc/meminfo", "MemTotal"); mem != "" {
		m.MemoryKiB, _ = strconv.ParseInt(strings.Fields(mem)[0], 10, 64)
	}
	if dc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
		if v, err := dc.ServerVersion(); err == nil {
			m.APIServer = v.GitVersion
		}
	}
	m.Commit = command("git", "rev-parse", "--short", "HEAD")
	m.Dirty = command("git", "status", "--porcelain", "--untracked-files=no") != ""
	m.DrctlBinary = command(drctl, "version")
	return m
}

// firstField returns the value of the first "key: value" line of a /proc file.
func firstField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// command returns a command's trimmed output, or "" if it failed.
func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
