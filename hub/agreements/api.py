from flask_openapi3 import APIBlueprint

api = APIBlueprint("agreements", __name__)
