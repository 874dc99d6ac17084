"""The rules live here; routers stay thin and only translate HTTP to service calls."""
