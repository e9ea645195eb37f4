from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{5,18}[0-9]$",
    gettext_lazy("请填写有效的电话号码（数字，可含“-”和空格，如 0571-82345678 或 13800000000）。"),
)


class ContactEditForm(forms.Form):
    """A 联络员's e-mail and phone."""

    email = forms.EmailField(
        label=gettext_lazy("邮箱"),
        required=False,
        help_text=gettext_lazy("提醒邮件发往此地址；该账号在各单位共用。"),
    )
    phone = forms.CharField(
        label=gettext_lazy("联系电话"), required=False, max_length=20, validators=[phone_validator]
    )


class ContactCreateForm(ContactEditForm):
    """A new 联络员 of a unit: a new account, or an existing staff account."""

    field_order = ["username", "full_name", "email", "phone", "password"]

    username = forms.CharField(
        label=gettext_lazy("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=gettext_lazy("登录用的名字；已有的单位联络员账号填其用户名即可加入本单位。"),
    )
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=150, required=False)
    password = forms.CharField(
        label=gettext_lazy("初始密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("新账号必填；请告知本人登录后在“修改密码”中改掉。"),
    )
