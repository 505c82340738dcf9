# An audience for ad and CRM matching: users' e-mail addresses sent as SHA-256 digests (trimmed
# and lower-cased first, as matching APIs ask), with the run's id and each record's operation,
# to an API that takes an OAuth2 client-credentials token. NULL values are left out.
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)   # or the key the control plane already has (the walkthrough's)
#   export TF_VAR_warehouse_url=postgres://backflow@127.0.0.1:5432/analytics   # holds public.users
#   export TF_VAR_api_url=http://127.0.0.1:8085/audiences/members
#   backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner sync "Audience members"
#
# public.users is README.md's (its walkthrough's step 0 creates it).
#
# Without a token endpoint (trying it against `backflow-runner receive`, which accepts any
# credentials), the connection uses basic auth. With one, set
# TF_VAR_token_url, TF_VAR_client_id and TF_VAR_client_secret: the runner then gets a token
# from it, keeps it for every sync to this connection, and gets a new one before it expires
# (and once after a 401).

terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}

provider "backflow" {}

variable "warehouse_url" {
  description = "Postgres URL of the warehouse holding public.users."
  type        = string
  sensitive   = true
}

variable "api_url" {
  description = "URL that receives the audience members."
  type        = string
  sensitive   = true
}

variable "token_url" {
  description = "OAuth2 token endpoint of the API; empty: basic auth instead."
  type        = string
  default     = ""
}

variable "client_id" {
  type    = string
  default = "backflow"
}

variable "client_secret" {
  type      = string
  sensitive = true
  default   = "change-me"
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (hashed-audience)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "audience_api" {
  name = "Audience API"
  webhook = {
    url = var.api_url
    # At most one of oauth2, basic_auth and an Authorization header.
    oauth2 = var.token_url == "" ? null : {
      token_url     = var.token_url
      client_id     = var.client_id
      client_secret = var.client_secret # sealed in the control plane
      scopes        = ["audiences:write"]
      parameters    = { audience = "https://api.example.com" }
    }
    basic_auth = var.token_url != "" ? null : {
      username = var.client_id
      password = var.client_secret # sealed in the control plane
    }
  }
}

resource "backflow_model" "users" {
  name          = "users (hashed-audience)"
  connection_id = backflow_connection.warehouse.id
  table         = "public.users"
}

resource "backflow_sync" "audience" {
  name           = "Audience members"
  model_id       = backflow_model.users.id
  destination_id = backflow_connection.audience_api.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  send_nulls     = false # a NULL column is left out of the record instead of sent as null
  mappings = [
    { from = "unique_id", to = "external_id" },
    # sha256 of the address after trim and lowercase: " Ada@Example.com" and "ada@example.com"
    # send the same digest.
    { from = "unique_id", to = "email_sha256", hash = "sha256", normalize = ["trim", "lowercase"] },
    { from = "full_name", to = "name" },
    # Metadata fields describe the run, not the record: sent with every record, and never a
    # reason to resend one.
    { metadata = "sync_run_id", to = "run_id" },
    { metadata = "operation", to = "operation" }, # new, changed or deleted
  ]
  schedule = { every = "1h" }
}
