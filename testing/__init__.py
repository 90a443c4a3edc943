"""Test helpers shared by the apps' test suites (not shipped behaviour). See testing/tiktok.py."""
