# One model, one webhook, the three sync behaviors side by side.
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)   # or the key the control plane already has (the walkthrough's)
#   export TF_VAR_warehouse_url=postgres://backflow@127.0.0.1:5432/analytics   # holds public.users
#   export TF_VAR_webhook_url=http://127.0.0.1:8085/hooks/backflow
#   backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner sync "Users: update or create"
#   backflow-runner sync "Users: signups"
#
# public.users is README.md's (its walkthrough's step 0 creates it). "Users: mirror" is paused:
# `backflow-runner sync` refuses it until `paused = false` is applied.

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

variable "webhook_url" {
  type      = string
  sensitive = true
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (all-behaviors)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "hook" {
  name = "CRM webhook"
  webhook = {
    url                     = var.webhook_url
    method                  = "POST"
    max_requests_per_second = 10
  }
}

resource "backflow_model" "users" {
  name          = "users"
  connection_id = backflow_connection.warehouse.id
  table         = "public.users"
}

# Keeps the destination up to date: new users and changed users, every 15 minutes.
resource "backflow_sync" "upsert" {
  name           = "Users: update or create"
  model_id       = backflow_model.users.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = "unique_id"
  mappings = [
    { from = "unique_id", to = "email" },
    { from = "full_name", to = "name" },
    { from = "company", to = "company" },
    { constant = "warehouse", to = "source" },
  ]
  schedule = { every = "15m" }
}

# Sends each user once, when first seen (e.g. a welcome event); later changes are not sent.
resource "backflow_sync" "signups" {
  name           = "Users: signups"
  model_id       = backflow_model.users.id
  destination_id = backflow_connection.hook.id
  behavior       = "append"
  primary_key    = "unique_id"
  mappings = [
    { from = "unique_id", to = "email" },
    { from = "created_at", to = "signed_up_at" },
    { constant = "signup", to = "event" },
  ]
  schedule = { cron = "0 * * * *" } # hourly, UTC
}

# Keeps the destination an exact copy: also sends "deleted" for users that disappear.
resource "backflow_sync" "mirror" {
  name           = "Users: mirror"
  model_id       = backflow_model.users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  batch_size     = 500
  schedule       = { every = "1h" }
  paused         = true # declared now, started later by setting paused = false
}
