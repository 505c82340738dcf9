package webhook

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// AnswerSnippet reads at most n bytes of resp's body, decoded, for error messages: the start of
// a refusal's answer kept in rejections, the delivery log and run errors.
//
// net/http decodes a gzip answer only when it asked for one itself. A connection header
// Accept-Encoding (copied from an API's documentation: many recommend gzip) makes the endpoint
// compress its answers, and so does an endpoint that compresses unasked; read raw, the excerpt
// would be compressed bytes: nothing a reader can use, and nothing the secrets' scrub finds a
// secret in. So a gzip or deflate answer is decoded here (at most n bytes of it: a small answer
// that expands without bound costs n), and one in another coding, or that does not decode, says
// so instead of showing its bytes.
func AnswerSnippet(resp *http.Response, n int) string {
	const maxEncodedAnswer = drainLimit
	coding := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if resp.Uncompressed || coding == "" || coding == "identity" {
		return BodySnippet(resp.Body, n)
	}
	var r io.Reader
	var err error
	// What is read of the encoded body is bounded too: a stream that decodes to nothing (empty
	// gzip members, empty deflate blocks, one after the other) was read for as long as it came.
	br := bufio.NewReader(io.LimitReader(resp.Body, maxEncodedAnswer))
	if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
		return "" // no body at all, which some servers still label with their coding
	}
	switch coding {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(br)
	case "deflate":
		// RFC 9110's deflate is zlib's format; some servers send the raw deflate stream instead.
		if h, perr := br.Peek(2); perr == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			r, err = zlib.NewReader(br)
		} else {
			r = flate.NewReader(br)
		}
	default:
		return fmt.Sprintf("(the answer's body is %s-encoded (Content-Encoding), which Backflow does not decode: "+
			"remove the Accept-Encoding header that asks for it from the connection's headers)", truncate(coding, 64))
	}
	if err == nil {
		var b []byte
		if b, err = io.ReadAll(io.LimitReader(r, int64(n))); err == nil || len(b) > 0 {
			return string(b)
		}
	}
	return fmt.Sprintf("(the answer's body is %s-encoded (Content-Encoding) and does not decode: %v)", coding, err)
}
