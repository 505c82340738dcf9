# A Postgres warehouse that models read from.
resource "backflow_connection" "warehouse" {
  name = "Analytics warehouse"
  postgres = {
    url = var.warehouse_url # postgres://reader:...@warehouse:5432/analytics
  }
}

# A webhook destination that receives JSON batches.
resource "backflow_connection" "hook" {
  name = "Webhook Test"
  webhook = {
    url    = "https://example.com/hooks/backflow"
    method = "POST"
    headers = {
      Authorization = "Bearer ${var.webhook_token}"
    }
    # Sign each request per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).
    signing_secret          = var.webhook_signing_secret # whsec_...
    max_requests_per_second = 30
    # On every apply that saves it: a HEAD, and if that is not answered 200, a request with
    # operation "test" and empty data. Anything but 200 refuses the apply.
    test_on_save = true
  }
}

# An endpoint whose rate limit you do not know: adaptive pacing finds it (and starts each run
# from what the last one learned), never above 500 requests/s or 32 requests in flight.
resource "backflow_connection" "crm" {
  name = "CRM import API"
  webhook = {
    url = "https://crm.example.com/api/import"
    headers = {
      Authorization = "Bearer ${var.webhook_token}"
    }
    rate_limit = {
      mode                    = "adaptive" # or "fixed": exactly these bounds
      max_requests_per_second = 500
      max_concurrency         = 32
    }
  }
}

variable "warehouse_url" {
  type      = string
  sensitive = true
}

variable "webhook_token" {
  type      = string
  sensitive = true
}

variable "webhook_signing_secret" {
  type      = string
  sensitive = true
}

# A webhook that authenticates with an OAuth2 client-credentials token (or basic_auth = {
# username, password }): at most one of oauth2, basic_auth and an Authorization header.
resource "backflow_connection" "crm_oauth" {
  name = "CRM API"
  webhook = {
    url = "https://api.example.com/v1/contacts/batch"
    oauth2 = {
      token_url     = "https://auth.example.com/oauth/token"
      client_id     = "backflow"
      client_secret = var.crm_client_secret # sealed in the control plane
      scopes        = ["contacts:write"]
      parameters    = { audience = "https://api.example.com" } # extra form parameters, not secret
    }
  }
}

variable "crm_client_secret" {
  type      = string
  sensitive = true
}
