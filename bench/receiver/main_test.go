package main

import (
	"testing"
	"time"
)

func TestCountRecords(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{`{"api_version":1,"operation":"changed","data":[]}`, 0},
		{`{"api_version":1,"model_name":"a \"data\":[{","data":[{"a":1},{"b":"}{\\\"{"},{"c":{"d":[{"e":1}]}}]}`, 3},
		{`{"operation":"deleted","data":[{"id":"x\\"},{"id":"y"}]}`, 2},
		{`not json`, 0},
	}
	for _, tt := range tests {
		if got := countRecords([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.body, got, tt.want)
		}
	}
}

func TestMaxWindow(t *testing.T) {
	s := stats{perSecond: map[int64]int64{}}
	t0 := time.Unix(1000, 900_000_000)
	// 3 in [1000.9, 1001.0), 3 in [1001.0, 1001.8]: per second 3 and 3, but 6 within 0.9 s.
	for _, ms := range []int{0, 50, 99, 100, 500, 900, 1900} {
		s.arrived(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	if got := s.maxWindow(); got != 6 {
		t.Errorf("maxWindow = %d, want 6", got)
	}
}
