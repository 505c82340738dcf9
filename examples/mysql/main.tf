# A MySQL or MariaDB table to a webhook.
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)   # or the key the control plane already has (the walkthrough's)
#   export TF_VAR_mysql_url='mysql://backflow:secret@127.0.0.1:3306/shop'     # GRANT SELECT ON shop.* TO backflow
#   export TF_VAR_webhook_url=http://127.0.0.1:8085/hooks/backflow
#   backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner sync "Customers to webhook"
#
# The database and its read-only user, for trying it out (as the server's root):
#   CREATE DATABASE shop;
#   CREATE USER 'backflow'@'%' IDENTIFIED BY 'secret'; GRANT SELECT ON shop.* TO 'backflow'@'%';
#
# The table it reads, for trying it out:
#   CREATE TABLE shop.customers (id bigint unsigned PRIMARY KEY, email varchar(255), plan enum('free','paid'),
#     updated_at timestamp DEFAULT CURRENT_TIMESTAMP);
#   INSERT INTO shop.customers (id, email, plan) VALUES (1, 'ada@example.com', 'paid'), (2, 'bob@example.com', 'free');

terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}

provider "backflow" {}

variable "mysql_url" {
  description = "mysql://user:password@host:3306/database of a user that can only SELECT."
  type        = string
  sensitive   = true
}

variable "webhook_url" {
  description = "URL that receives the JSON batches."
  type        = string
  sensitive   = true
}

resource "backflow_connection" "shop" {
  name = "Shop database"
  mysql = {
    url               = var.mysql_url # sealed at rest
    statement_timeout = "1h"
    lock_timeout      = "10s"
  }
}

resource "backflow_connection" "hook" {
  name = "Webhook (mysql)"
  webhook = {
    url          = var.webhook_url
    test_on_save = false
  }
}

resource "backflow_model" "customers" {
  name          = "customers"
  connection_id = backflow_connection.shop.id
  sql           = "select id, email, plan, updated_at from customers"
}

resource "backflow_sync" "customers" {
  name           = "Customers to webhook"
  model_id       = backflow_model.customers.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = "id"
  mappings = [
    { from = "id", to = "customer_id" },
    { from = "email", to = "email" },
    { from = "plan", to = "plan" },
    { constant = "shop", to = "source" },
  ]
}
