"""Gunicorn's settings for the web processes (read from the working directory, or given with -c).

Supporters may be at risk if their visits can be traced: an access line holds
no client address, no query string, no referer, and the tokens of personal
links (/confirm/..., /my/..., /u/..., /stop-email/...: TOKEN_ROUTES in
campaign/logs.py) masked. The logger class also runs
gunicorn's own lines through the filter and format of campaign.logs
(LOG_FORMAT=json for one JSON object a line).
"""

logger_class = "campaign.logs.GunicornLogger"

# Method, masked path and protocol; status; bytes sent; milliseconds taken.
# Never %(h)s (the client), %(q)s (the query string) or %(f)s (the referer).
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
