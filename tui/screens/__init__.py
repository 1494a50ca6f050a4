"""The dashboard's modal screens: call detail, help, filter, save report."""
