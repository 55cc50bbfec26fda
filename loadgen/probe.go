package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sample is a node's counters at one moment.
type Sample struct {
	At               time.Time
	CPUSeconds       float64 // user + system since the process started
	RSSBytes         float64
	ForwardedPackets float64 // cloudwindow_media_forwarded_packets_total
	ForwardedBytes   float64
}

// Probe reads a node's counters: forwarded packets from its /metrics, CPU
// and memory from /proc/<PID> when PID is set (finer and independent of the
// metrics), else from the process_* series of /metrics.
type Probe struct {
	BaseURL string
	PID     int
}

// Sample reads the counters now.
func (p Probe) Sample(ctx context.Context) (Sample, error) {
	s := Sample{At: time.Now()}
	m, err := scrape(ctx, p.BaseURL+"/metrics")
	if err != nil {
		return s, err
	}
	s.ForwardedPackets = m["cloudwindow_media_forwarded_packets_total"]
	s.ForwardedBytes = m["cloudwindow_media_forwarded_bytes_total"]
	if p.PID > 0 {
		ps, err := ProcessSample(p.PID)
		s.CPUSeconds, s.RSSBytes = ps.CPUSeconds, ps.RSSBytes
		return s, err
	}
	s.CPUSeconds = m["process_cpu_seconds_total"]
	s.RSSBytes = m["process_resident_memory_bytes"]
	return s, nil
}

// scrape reads the unlabelled series of a Prometheus text exposition.
func scrape(ctx context.Context, url string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// ProcessSample reads a process's CPU time and resident memory from /proc.
func ProcessSample(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("read process %d: %w", pid, err)
	}
	// The command name may hold spaces; the fields after it are fixed.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 22 {
		return s, fmt.Errorf("process %d: short stat line", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	rssPages, _ := strconv.ParseFloat(fields[21], 64)
	s.CPUSeconds = (utime + stime) / clockTicks
	s.RSSBytes = rssPages * float64(os.Getpagesize())
	return s, nil
}

// selfCPU is the generator's own CPU time so far, counted apart from the node's.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// machineTimes are the whole machine's CPU times from /proc/stat, in ticks.
type machineTimes struct{ busy, total float64 }

// machineCPU reads /proc/stat; the machine is shared, so a window's own
// processes are not all that keeps it busy.
func machineCPU() machineTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return machineTimes{}
	}
	var t machineTimes
	// user nice system idle iowait irq softirq; steal and guest time follow.
	for i, f := range fields[1:8] {
		v, _ := strconv.ParseFloat(f, 64)
		t.total += v
		if i != 3 && i != 4 { // idle, iowait
			t.busy += v
		}
	}
	return t
}

func (t machineTimes) busyPctSince(earlier machineTimes) float64 {
	total := t.total - earlier.total
	if total <= 0 {
		return 0
	}
	return round((t.busy-earlier.busy)/total*100, 1)
}

// udpReceiveDrops is the machine's count of UDP datagrams dropped because a
// socket's receive buffer was full (RcvbufErrors in /proc/net/snmp). On
// loopback this is where packets get lost.
func udpReceiveDrops() uint64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Udp: ")
		if !ok {
			continue
		}
		if names == nil {
			names = strings.Fields(rest)
			continue
		}
		for i, v := range strings.Fields(rest) {
			if i < len(names) && names[i] == "RcvbufErrors" {
				n, _ := strconv.ParseUint(v, 10, 64)
				return n
			}
		}
	}
	return 0
}

// cpuPressure is the share of the last 60 s in which some runnable task
// waited for a CPU (/proc/pressure/cpu): how crowded the shared machine was.
func cpuPressure() float64 {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "avg60="); ok {
			p, _ := strconv.ParseFloat(v, 64)
			return p
		}
	}
	return 0
}
