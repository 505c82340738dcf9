package webhooktest

// ClosedAddr is a local host:port that refuses every connection: port 1 (tcpmux), which nothing
// listens on and no test binds. The address of a test server once closed is no such thing: the
// system hands its port to the next listener that asks, and another test's server (of this
// process or another) then answers there.
const ClosedAddr = "127.0.0.1:1"
