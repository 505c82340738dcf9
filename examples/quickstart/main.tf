# Backflow quickstart: the Census webhook guide's five steps, as code. README.md's walkthrough
# is this file, step by step (its step 0 creates the databases, the users table and the
# TF_VAR_* variables below).
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)                      # seals secrets at rest
#   export TF_VAR_warehouse_url=postgres://backflow@127.0.0.1:5432/analytics   # holds public.users
#   export TF_VAR_webhook_url=http://127.0.0.1:8085/hooks/backflow
#   export TF_VAR_webhook_token=$(openssl rand -hex 16)
#   export TF_VAR_webhook_signing_secret="whsec_$(openssl rand -base64 24)"
#   BACKFLOW_RECEIVE_SECRET="$TF_VAR_webhook_signing_secret" backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner sync "Active users to webhook"
#
# `make demo` does all of this against a generated users table.

terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}

provider "backflow" {} # reads BACKFLOW_DATABASE_URL and BACKFLOW_SECRET_KEY

variable "warehouse_url" {
  description = "Postgres URL of the warehouse holding public.users."
  type        = string
  sensitive   = true
}

variable "webhook_url" {
  description = "URL that receives the JSON batches."
  type        = string
  sensitive   = true
}

variable "webhook_token" {
  description = "Bearer token sent in the Authorization header of every request."
  type        = string
  sensitive   = true
}

variable "webhook_signing_secret" {
  description = "Standard Webhooks signing secret (whsec_ followed by base64)."
  type        = string
  sensitive   = true
}

# 1. Connect the data warehouse.
resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse"
  postgres = { url = var.warehouse_url } # sealed at rest
}

# 2. Create the webhook destination. test_on_save: a HEAD, and if that is not answered 200, a
#    request with operation "test" and empty data; anything but 200 refuses the apply.
resource "backflow_connection" "hook" {
  name = "Webhook Test"
  webhook = {
    url                     = var.webhook_url
    method                  = "POST" # POST | PUT | PATCH
    headers                 = { Authorization = "Bearer ${var.webhook_token}" }
    signing_secret          = var.webhook_signing_secret # Standard Webhooks signatures
    max_requests_per_second = 30
    test_on_save            = true
  }
}

# 3. Create the model: the records to send. Its columns are discovered at plan time.
resource "backflow_model" "active_users" {
  name          = "active users"
  connection_id = backflow_connection.warehouse.id
  sql           = "select * from public.users where type <> 'churned user'"
  # or: table = "public.users"
}

# 4. Create the sync. mirror: new and changed records, and a "deleted" operation (holding only
#    the key, as "email") for users that leave the model. A change to a column that is not
#    mapped sends nothing.
resource "backflow_sync" "users" {
  name           = "Active users to webhook"
  model_id       = backflow_model.active_users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror" # | "update_or_create" | "append"
  primary_key    = "unique_id"
  mappings = [ # omit to send every column under its own name
    { from = "unique_id", to = "email" },
    { from = "full_name", to = "name" },
    { from = "role", to = "role" },
    { from = "type", to = "plan" },
    { constant = "warehouse", to = "source" },
  ]
  schedule   = { every = "15m" } # or { cron = "0 * * * *" } (UTC); omit for manual runs only
  batch_size = 100
}

# 5. Confirm the payload: `backflow-runner sync "Active users to webhook"`, then look at the
#    receiver's output (or `backflow-runner runs "Active users to webhook"`).
output "sync_name" {
  value = backflow_sync.users.name
}

# The columns the provider discovered from the warehouse (the model's `columns` attribute), on one line.
output "model_columns" {
  value = join(", ", [for c in backflow_model.active_users.columns : "${c.name} ${c.type}"])
}
