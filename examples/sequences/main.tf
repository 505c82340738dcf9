# A sequence: contacts are sent only after both accounts and plans have succeeded, so the CRM
# never receives a contact whose account or plan it does not know yet. Only the parents have a
# clock; the child follows them, run by the daemon (`backflow-runner run`) once both parents
# have succeeded.
#
#   export BACKFLOW_DATABASE_URL=postgres://backflow@127.0.0.1:5432/backflow   # the control plane
#   export BACKFLOW_SECRET_KEY=$(openssl rand -base64 32)   # or the key the control plane already has (the walkthrough's)
#   export TF_VAR_warehouse_url=postgres://backflow@127.0.0.1:5432/analytics   # holds the tables below
#   export TF_VAR_crm_webhook_url=http://127.0.0.1:8085/crm
#   backflow-runner receive --listen 127.0.0.1:8085 &
#   terraform apply
#   backflow-runner run &                                 # the daemon: runs the schedules and queued runs
#
# Start a run of the whole sequence from outside (dbt, Airflow, CI) by triggering the parents
# (trigger queues a run for the daemon; without one running, --wait waits for ever):
#
#   backflow-runner trigger "Accounts to CRM" --wait && backflow-runner trigger "Plans to CRM" --wait
#
# or over the daemon's API (BACKFLOW_API_TOKEN set on `backflow-runner run`):
#
#   curl -sf -X POST -H "Authorization: Bearer $BACKFLOW_API_TOKEN" \
#     http://127.0.0.1:9464/v1/syncs/Accounts%20to%20CRM/runs
#
# `backflow-runner runs "Contacts to CRM (sequences)"` shows, for each run, the parent runs that started it.
#
# The tables it reads, for trying it out:
#   CREATE TABLE public.accounts (account_id bigint PRIMARY KEY, name text);
#   CREATE TABLE public.plans (plan_id text PRIMARY KEY, price numeric);
#   CREATE TABLE public.contacts (email text, account_id bigint, plan_id text, first_name text);
#   INSERT INTO public.accounts VALUES (1, 'Acme'), (2, 'Globex');
#   INSERT INTO public.plans VALUES ('free', 0), ('pro', 49);
#   INSERT INTO public.contacts VALUES ('ada@acme.com', 1, 'pro', 'Ada'), ('bob@globex.com', 2, 'free', 'Bob'),
#     (NULL, 1, 'free', 'Nobody');

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

variable "crm_webhook_url" {
  type      = string
  sensitive = true
}

resource "backflow_connection" "warehouse" {
  name     = "Analytics warehouse (sequences)"
  postgres = { url = var.warehouse_url }
}

resource "backflow_connection" "crm" {
  name    = "CRM webhook (sequences)"
  webhook = { url = var.crm_webhook_url, method = "POST" }
}

resource "backflow_model" "accounts" {
  name          = "accounts"
  connection_id = backflow_connection.warehouse.id
  table         = "public.accounts"
}

resource "backflow_model" "plans" {
  name          = "plans"
  connection_id = backflow_connection.warehouse.id
  table         = "public.plans"
}

resource "backflow_model" "contacts" {
  name          = "contacts (sequences)"
  connection_id = backflow_connection.warehouse.id
  sql           = "select email, account_id, plan_id, first_name from contacts where email is not null"
}

resource "backflow_sync" "accounts" {
  name           = "Accounts to CRM"
  model_id       = backflow_model.accounts.id
  destination_id = backflow_connection.crm.id
  behavior       = "update_or_create"
  primary_key    = "account_id"
  schedule       = { cron = "0 * * * *" } # hourly, UTC
}

resource "backflow_sync" "plans" {
  name           = "Plans to CRM"
  model_id       = backflow_model.plans.id
  destination_id = backflow_connection.crm.id
  behavior       = "update_or_create"
  primary_key    = "plan_id"
  schedule       = { cron = "0 * * * *" }
}

# Runs once both parents have succeeded since its last run. A failed parent holds it until that
# parent succeeds again.
resource "backflow_sync" "contacts" {
  name           = "Contacts to CRM (sequences)"
  model_id       = backflow_model.contacts.id
  destination_id = backflow_connection.crm.id
  behavior       = "mirror"
  primary_key    = "email"
  schedule       = { after = [backflow_sync.accounts.id, backflow_sync.plans.id] }
}
