"""gradeschool.harness"""
