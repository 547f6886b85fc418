"""Power BI: render the templates, publish to the service, drive pbi-tools."""
