# A bulk JSON endpoint: one request per batch of up to 500 records, its body a `records` array
# (the shape of Airtable's, HubSpot's and many internal batch APIs). Changed records go to the
# same endpoint with PUT.

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

variable "api_url" {
  description = "The API's base URL, e.g. https://api.example.com/v2"
  type        = string
}

variable "api_key" {
  type      = string
  sensitive = true
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (bulk-json)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "api" {
  name = "Bulk API"
  webhook = {
    url          = var.api_url
    headers      = { "X-Api-Key" = var.api_key }
    test_on_save = false
  }
}

resource "backflow_model" "contacts" {
  name          = "contacts (bulk-json)"
  connection_id = backflow_connection.warehouse.id
  sql           = "select email, first_name, last_name, plan, mrr, signed_up_at from contacts"
}

resource "backflow_sync" "contacts" {
  name           = "Contacts to the bulk API"
  model_id       = backflow_model.contacts.id
  destination_id = backflow_connection.api.id
  behavior       = "update_or_create"
  primary_key    = "email"
  batch_size     = 500
  mappings = [
    { from = "email", to = "id" },
    { from = "first_name", to = "first_name" },
    { from = "plan", to = "plan" },
    { from = "mrr", to = "mrr" },
  ]
  request = {
    new = {
      method = "POST"
      path   = "/records/batch"
      body   = <<-EOT
        {
          "operation": {{ operation | json }},
          "source": {"sync": {{ sync.name | json }}, "run": {{ run.id }}},
          "records": [{% for r in records %}
            {"id": {{ r.id | json }}, "fields": {{ r | json }}}{% unless forloop.last %},{% endunless %}{% endfor %}
          ]
        }
      EOT
    }
    changed = {
      method = "PUT"
      path   = "/records/batch"
      body   = "{\"operation\": \"upsert\", \"records\": {{ records | json }}}"
    }
    mode = "batch"
  }
}
