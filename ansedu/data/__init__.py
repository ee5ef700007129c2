"""Data that ships with ansedu, so that nothing is downloaded at run time."""
