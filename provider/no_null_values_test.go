package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// Every collection a configuration sets refuses null elements at validation: converted to Go
// values they failed the plan with "Value Conversion Error ... This is always an error in the
// provider" (sync_ids = [null]).
func TestCollectionsRefuseNullElements(t *testing.T) {
	ctx := context.Background()
	var walk func(res, at string, attrs map[string]schema.Attribute)
	walk = func(res, at string, attrs map[string]schema.Attribute) {
		for name, a := range attrs {
			p := at + name
			if n, ok := a.(schema.NestedAttribute); ok {
				inner := map[string]schema.Attribute{}
				for k, v := range n.GetNestedObject().GetAttributes() {
					inner[k] = v.(schema.Attribute)
				}
				walk(res, p+".", inner)
				continue
			}
			if !a.IsOptional() && !a.IsRequired() {
				continue
			}
			var vs []any
			switch x := a.(type) {
			case schema.ListAttribute:
				for _, v := range x.Validators {
					vs = append(vs, v)
				}
			case schema.SetAttribute:
				for _, v := range x.Validators {
					vs = append(vs, v)
				}
			case schema.MapAttribute:
				for _, v := range x.Validators {
					vs = append(vs, v)
				}
			default:
				continue
			}
			found := false
			for _, v := range vs {
				found = found || strings.HasSuffix(fmt.Sprintf("%T", v), ".noNullValuesValidator")
			}
			if !found {
				t.Errorf("%s.%s: no NoNullValues validator", res, p)
			}
		}
	}
	eachResourceSchema(ctx, New("test")(), func(typeName string, s resource.SchemaResponse) {
		walk(typeName, "", s.Schema.Attributes)
	})
}
