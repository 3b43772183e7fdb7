"""Spiders: ``OutletSpider`` discovers one outlet's articles and fetches them."""
