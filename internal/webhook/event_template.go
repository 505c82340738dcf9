package webhook

import (
	"fmt"
)

// Notification bodies as Liquid templates (controlplane.Notification.Body): the same engine and
// filters as a sync's requests, with one variable, `event`: the event as its JSON body carries it
// (controlplane.EventBody, fields under their JSON names).

// RenderEvent renders the template src for the event whose JSON body is payload, to be sent with
// contentType. The error is a *TemplateError when src does not parse or does not render, or the
// JSON check's error when contentType is JSON and what it rendered is not (an event's values can
// break a body that the plan-time check's sample did not).
func RenderEvent(src, contentType string, payload []byte) ([]byte, error) {
	return renderEvent(false, src, contentType, payload)
}

func renderEvent(strict bool, src, contentType string, payload []byte) ([]byte, error) {
	t, err := compileTemplate(strict, src)
	if err != nil {
		return nil, err
	}
	ev, err := decodeRecord(payload)
	if err != nil {
		return nil, fmt.Errorf("the event: %w", err)
	}
	body, err := t.render(map[string]any{"event": ev}, bodyLimits([][]byte{payload}))
	if err == nil && IsJSON(contentType) {
		err = checkJSON(body)
	}
	return body, err
}

// CheckEventTemplate is the plan-time check of a notification's body template src: compiled
// strictly (an undefined variable is an error) and rendered for each sample event (samples maps
// an event name to its JSON body, as controlplane.SampleEvent builds it); with a JSON content
// type, what it renders must be valid JSON. The error names the event it failed for; its cause is
// a *TemplateError (a line and column in src) or the JSON check's error.
func CheckEventTemplate(src, contentType string, events []string, sample func(event string) []byte) error {
	if _, err := compileTemplate(true, src); err != nil {
		return err
	}
	for _, ev := range events {
		if _, err := renderEvent(true, src, contentType, sample(ev)); err != nil {
			return fmt.Errorf("rendered for a sample %s event: %w", ev, err)
		}
	}
	return nil
}
