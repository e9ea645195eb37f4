"""Password rules of the accounts, as Django's, with one message Django 5.2
leaves in English in Chinese: its catalog translates the old wording of the
"too short" message (%(min_length)d), while the code now asks for %d."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "密码太短，至少需要 %(min_length)d 个字符。",
            "密码太短，至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}
