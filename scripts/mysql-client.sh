# Sourced by ensure-mariadb.sh and ensure-mysql.sh.

# client prints the mariadb or mysql client's path; false when neither is installed.
client() { command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null; }

# answers HOST PORT [USER [PASSWORD]]: true when the server accepts the login and 'select 1'
# (lacking a client, when the port accepts a TCP connection).
answers() {
  local c
  if c=$(client); then
    MYSQL_PWD="${4:-}" "$c" --protocol=tcp -h "$1" -P "$2" -u "${3:-root}" --connect-timeout=5 -Nse 'select 1' >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}
