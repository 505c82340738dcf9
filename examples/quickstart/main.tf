# Backflow quickstart: the Census webhook guide's five steps, as code.
#
#   export BACKFLOW_DATABASE_URL=postgres://postgres@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)                      # seals secrets at rest
#   backflow-runner receive --listen 127.0.0.1:8085 --secret whsec_...        # a local webhook (another terminal)
#   terraform apply -var warehouse_url=... -var webhook_url=http://127.0.0.1:8085/ -var webhook_signing_secret=whsec_...
#   backflow-runner sync "Active users to webhook"
#
# `make demo` does all of this against a generated users table.

terraform {
  required_providers {
    backflow = {
      source = "backflowhq/backflow"
    }
  }
}

provider "backflow" {}

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

variable "webhook_signing_secret" {
  description = "Standard Webhooks signing secret (whsec_ followed by base64)."
  type        = string
  sensitive   = true
}

# 1. Connect the data warehouse.
resource "backflow_connection" "warehouse" {
  name = "Analytics warehouse"
  postgres = {
    url = var.warehouse_url
  }
}

# 2. Create the webhook destination. test_on_save: it must answer 200 before it is saved.
resource "backflow_connection" "hook" {
  name = "Webhook Test"
  webhook = {
    url            = var.webhook_url
    signing_secret = var.webhook_signing_secret
    test_on_save   = true
  }
}

# 3. Create the model: the records to send.
resource "backflow_model" "active_users" {
  name          = "active users"
  connection_id = backflow_connection.warehouse.id
  sql           = <<-SQL
    select company, company_domain, created_at, unique_id, first_name, full_name,
           last_name, role, type, user_id, website
    from public.users
    where type <> 'churned user'
  SQL
}

# 4. Create the sync. mirror: new and changed records, and a "deleted" operation for users
#    that leave the model. Every column is sent under its own name (no mappings).
resource "backflow_sync" "active_users" {
  name           = "Active users to webhook"
  model_id       = backflow_model.active_users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  batch_size     = 100
}

# 5. Confirm the payload: `backflow-runner sync "Active users to webhook"`, then look at the
#    receiver's output (or `backflow-runner runs "Active users to webhook"`).
output "sync_name" {
  value = backflow_sync.active_users.name
}

output "model_columns" {
  value = backflow_model.active_users.columns
}
