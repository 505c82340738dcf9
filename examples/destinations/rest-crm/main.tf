# A REST CRM: one request per contact. New contacts are POSTed to /contacts, changed ones PATCHed
# and deleted ones DELETEd at /contacts/{email}, the email URL-encoded as a path segment.
# docs/destinations.md walks through it.

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

variable "crm_url" {
  description = "The CRM API's base URL, e.g. https://api.crm.example/v1"
  type        = string
}

variable "crm_token" {
  type      = string
  sensitive = true
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (rest-crm)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "crm" {
  name = "CRM API"
  webhook = {
    url = var.crm_url
    # Credentials go in the connection's headers: sensitive, and sealed in the control plane.
    headers                 = { Authorization = "Bearer ${var.crm_token}" }
    max_requests_per_second = 10
    # The API has no endpoint that accepts the Census test envelope at its base URL.
    test_on_save = false
  }
}

resource "backflow_model" "contacts" {
  name          = "contacts"
  connection_id = backflow_connection.warehouse.id
  sql           = "select email, first_name, last_name, plan, mrr, signed_up_at from contacts"
}

resource "backflow_sync" "contacts" {
  name           = "Contacts to CRM"
  model_id       = backflow_model.contacts.id
  destination_id = backflow_connection.crm.id
  behavior       = "mirror"
  primary_key    = "email"
  request = {
    new     = { method = "POST", path = "/contacts", body = file("${path.module}/contact.liquid") }
    changed = { method = "PATCH", path = "/contacts/{{ record.email | url_encode }}", body = file("${path.module}/contact.liquid") }
    deleted = { method = "DELETE", path = "/contacts/{{ record.email | url_encode }}" }
    mode    = "record"
  }
  schedule = { every = "15m" }
}
