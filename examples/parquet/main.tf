# A Parquet file to a webhook, through DuckDB (embedded in Backflow: no server to run).
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)   # or the key the control plane already has (the walkthrough's)
#   export TF_VAR_parquet_path=$PWD/users.parquet     # any Parquet file with a unique_id column
#   export TF_VAR_webhook_url=http://127.0.0.1:8085/hooks/backflow
#   backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner sync "Parquet users to webhook"
#
# A Parquet file to try it with, written by DuckDB's CLI (or any tool that writes Parquet):
#   duckdb -c "COPY (SELECT 'user' || i || '@example.com' AS unique_id, 'User ' || i AS full_name,
#              i % 3 = 0 AS paid FROM range(1, 1001) r(i)) TO 'users.parquet' (FORMAT parquet)"
#
# For files on S3, GCS or HTTP, load httpfs and create a secret in init_sql (docs/warehouses.md).

terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}

provider "backflow" {}

variable "parquet_path" {
  description = "Path (or s3://, https:// URL, or glob) of the Parquet file(s) to send."
  type        = string
}

variable "webhook_url" {
  description = "URL that receives the JSON batches."
  type        = string
  sensitive   = true
}

# No database: the model reads the file through DuckDB's read_parquet.
resource "backflow_connection" "lake" {
  name = "Parquet files"
  duckdb = {
    database = ":memory:"
    init_sql = "SET threads = 2"
  }
}

resource "backflow_connection" "hook" {
  name = "Webhook (parquet)"
  webhook = {
    url          = var.webhook_url
    test_on_save = false
  }
}

resource "backflow_model" "users" {
  name          = "Parquet users"
  connection_id = backflow_connection.lake.id
  sql           = "select * from read_parquet('${var.parquet_path}')"
}

resource "backflow_sync" "users" {
  name           = "Parquet users to webhook"
  model_id       = backflow_model.users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  batch_size     = 100
}

output "columns" {
  value = backflow_model.users.columns
}
