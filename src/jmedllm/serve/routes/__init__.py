"""Thin routers: parse, authorise, call the gateway's services, shape the reply."""
