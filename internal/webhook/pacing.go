package webhook

// MaxRequestsPerSecond is the highest max_requests_per_second a webhook connection may set. A
// runner at full speed sends far fewer requests than this (batches of up to 10,000 records, a few
// in flight); a higher value is a typo (1e12 for 1e2) that would read as "not paced" anyway.
const MaxRequestsPerSecond = 10000
