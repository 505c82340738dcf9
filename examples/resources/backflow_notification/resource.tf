# Where alerts go: any webhook connection. A Slack incoming webhook works as it is: Slack shows
# the event's "text" field.
resource "backflow_connection" "alerts" {
  name = "Alerts"
  webhook = {
    url            = var.alerts_webhook_url # sensitive: it holds the webhook's token
    signing_secret = var.alerts_signing_secret
  }
}

# Tell us when a sync starts failing, when it recovers, and when it is paused.
resource "backflow_notification" "failures" {
  name           = "Sync failures"
  destination_id = backflow_connection.alerts.id
  events         = ["run.failed", "run.recovered", "run.blocked", "sync.paused"]
  send           = "on_change" # "every_time": every failed run, not only the first of a streak
}

# Every run of one sync that the destination refused records in.
resource "backflow_notification" "rejections" {
  name           = "Rejected users"
  destination_id = backflow_connection.alerts.id
  events         = ["records.rejected"]
  sync_ids       = [backflow_sync.users.id] # omit for every sync
  send           = "every_time"
}

# A Slack message of its own: the body is a Liquid template of the event (`event`, the JSON
# event's fields), checked at plan time against a sample of each event.
resource "backflow_notification" "slack" {
  name           = "Slack: failures"
  destination_id = backflow_connection.alerts.id
  events         = ["run.failed", "run.recovered"]
  body           = <<-EOT
    {"text": {{ event.sync.name | append: ": run " | append: event.run.id | append: " " | append: event.run.status | append: ". " | append: event.run.error | json }}}
  EOT
  content_type   = "application/json" # the default
}

variable "alerts_webhook_url" {
  type      = string
  sensitive = true
}

variable "alerts_signing_secret" {
  type      = string
  sensitive = true
}
