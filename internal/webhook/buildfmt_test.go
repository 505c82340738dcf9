package webhook

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func buildFmt(t *testing.T, format, src, rec string) (string, error) {
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Format: format, Body: src}}, Vars{SyncName: "s"})
	if err != nil {
		return "", err
	}
	b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(rec)})
	return string(b.Body), err
}
