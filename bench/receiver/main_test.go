package main

import "testing"

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
