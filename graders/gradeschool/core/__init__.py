"""gradeschool.core"""
