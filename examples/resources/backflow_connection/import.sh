# Import by id or by name. A name that is all digits and also another one's id is refused as
# ambiguous: say which with id:N or name:TEXT.
terraform import backflow_connection.warehouse 1
terraform import backflow_connection.hook "Webhook Test"
terraform import backflow_connection.hook "name:2024"
