terraform {
  required_providers {
    backflow = {
      source = "backflowhq/backflow"
    }
  }
}

# With no arguments the provider reads BACKFLOW_DATABASE_URL (the control plane) and
# BACKFLOW_SECRET_KEY (32 random bytes in base64: `openssl rand -base64 32`). Give the runner
# the same two values.
provider "backflow" {}

# Or set them explicitly, e.g. from variables:
# provider "backflow" {
#   database_url = var.backflow_database_url
#   secret_key   = var.backflow_secret_key
# }
