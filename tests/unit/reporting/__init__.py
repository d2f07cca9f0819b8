"""Unit tests of reporting: lab files read row by row."""
