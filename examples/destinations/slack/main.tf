# A Slack incoming webhook: one message per batch of new signups. The webhook's URL is the
# secret, so it is a sensitive variable; the request has no path (the URL itself).

terraform {
  required_providers {
    backflow = {
      source = "backflowhq/backflow"
    }
  }
}

provider "backflow" {}

variable "warehouse_url" {
  type      = string
  sensitive = true
}

variable "slack_webhook_url" {
  description = "https://hooks.slack.com/services/..."
  type        = string
  sensitive   = true
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (slack)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "slack" {
  name = "Slack #signups"
  webhook = {
    url = var.slack_webhook_url
    # Slack answers its test envelope with 400 "invalid_payload".
    test_on_save = false
    # Slack allows about one message per second per webhook.
    max_requests_per_second = 1
  }
}

resource "backflow_model" "signups" {
  name          = "signups"
  connection_id = backflow_connection.warehouse.id
  sql           = "select email, first_name, plan, signed_up_at from contacts"
}

resource "backflow_sync" "signups" {
  name           = "New signups to Slack"
  model_id       = backflow_model.signups.id
  destination_id = backflow_connection.slack.id
  behavior       = "append"
  primary_key    = "email"
  batch_size     = 20
  # initial = "skip_existing" would announce only signups after the first run.
  request = {
    new = {
      method = "POST"
      # The message text is built first, then JSON-escaped as a whole with `json`.
      body = <<-EOT
        {% capture text %}*{{ records | size }} new signup{% if records.size != 1 %}s{% endif %}*
        {% for r in records %}• {{ r.first_name | default: r.email }} ({{ r.plan }}, {{ r.signed_up_at | date: "%b %d" }})
        {% endfor %}{% endcapture %}{"text": {{ text | json }}}
      EOT
    }
    mode = "batch"
  }
  schedule = { every = "5m" }
}
